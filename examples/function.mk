# Assembles a Lambda function for `sam build` (BuildMethod: makefile) from an example folder: its FILES, a package.json
# with "type": "module" (the handlers are ES modules), and node_modules holding middy-grpc (packed from this
# repository: `npm pack` builds it), @middy/core, protobufjs and the example's other PACKAGES. SAM sets ARTIFACTS_DIR
# and may run the including Makefile from a copy of its folder, so paths are taken from this file's location.
# Run `npm install` in the repository root first. Outside SAM: make build-<Function> ARTIFACTS_DIR=/tmp/fn

EXAMPLES := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
REPO := $(abspath $(EXAMPLES)/..)

define build-function
	test -n "$(ARTIFACTS_DIR)"
	mkdir -p "$(ARTIFACTS_DIR)"
	cp $(addprefix "$(HERE)/,$(addsuffix ",$(FILES))) "$(ARTIFACTS_DIR)/"
	printf '{\n  "name": "$(1)",\n  "private": true,\n  "type": "module"\n}\n' > "$(ARTIFACTS_DIR)/package.json"
	rm -f "$(ARTIFACTS_DIR)"/middy-grpc-*.tgz
	cd "$(REPO)" && npm pack --pack-destination "$(ARTIFACTS_DIR)"
	cd "$(ARTIFACTS_DIR)" && npm install --omit=dev --no-audit --no-fund --no-package-lock ./middy-grpc-*.tgz @middy/core protobufjs $(PACKAGES)
	rm -f "$(ARTIFACTS_DIR)"/middy-grpc-*.tgz
endef
