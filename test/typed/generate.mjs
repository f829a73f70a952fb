// Jest globalSetup: the code each generator family makes from test/typed/proto (and protobuf-es code for the
// conformance service), written to test/.gen/typed with the generators in devDependencies (buf with the local
// protoc-gen-es and ts-proto plugins, pbjs/pbts from protobufjs-cli), all offline; and the README's typed-service
// examples, their imports pointed at that code, for test/typed/types.test.ts to compile. A stamp of the inputs and
// the generator versions skips the work when nothing changed.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'node_modules', '.bin')
export const genDir = join(root, 'test', '.gen', 'typed')
const protoDir = join(root, 'test', 'typed', 'proto')
const conformanceDir = join(root, 'test', 'conformance')
const greeterProto = join(protoDir, 'hello', 'v1', 'greeter.proto')
const readme = join(root, 'README.md')
const generators = ['@bufbuild/buf', '@bufbuild/protoc-gen-es', 'ts-proto', 'protobufjs-cli', 'protobufjs']

const plugin = (name, out, opt) => ({ local: join(bin, name), out: join(genDir, out), opt })

function stamp() {
  const hash = createHash('sha256')
  hash.update(readFileSync(fileURLToPath(import.meta.url)))
  for (const file of [
    greeterProto,
    readme,
    join(conformanceDir, 'service.proto'),
    join(conformanceDir, 'status.proto'),
  ])
    hash.update(readFileSync(file))
  for (const name of generators)
    hash.update(JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version)
  return hash.digest('hex')
}

function buf(input, plugins) {
  const template = JSON.stringify({ version: 'v2', plugins })
  execFileSync(join(bin, 'buf'), ['generate', input, '--template', template], { cwd: root, stdio: 'pipe' })
}

/** Where the README's examples import from, and where that is here (relative to test/.gen/typed/readme). */
const readmeImports = {
  'middy-grpc': '../../../../src/index.js',
  'middy-grpc/protobuf-es': '../../../../src/services/protobuf-es.js',
  './gen/greeter_pb.js': '../es/hello/v1/greeter_pb.js',
  './gen/greeter.json': '../pbjs/greeter.json',
  './gen/greeter.js': null, // ts-proto's and pbjs's file names agree: told apart by what the example imports
}

/** The `ts` examples of the README's "Typed services" section. */
function writeReadmeExamples() {
  const text = readFileSync(readme, 'utf8')
  const start = text.indexOf('\n## Typed services\n')
  const end = text.indexOf('\n## ', start + 1)
  if (start === -1 || end === -1) throw new Error('README.md has no "## Typed services" section')
  const examples = [...text.slice(start, end).matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1])
  mkdirSync(join(genDir, 'readme'))
  examples.forEach((example, index) => {
    const staticModule = example.includes('protobufjsStaticService')
    const code = example.replace(/(from |import )'([^']+)'/g, (whole, keyword, specifier) => {
      if (!(specifier in readmeImports)) return whole
      const target =
        readmeImports[specifier] ?? (staticModule ? '../pbjs/greeter.js' : '../ts-proto/hello/v1/greeter.js')
      return `${keyword}'${target}'`
    })
    writeFileSync(join(genDir, 'readme', `example-${index + 1}.ts`), code)
  })
}

export default function generate() {
  const stampFile = join(genDir, '.stamp')
  const expected = stamp()
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === expected) return
  rmSync(genDir, { recursive: true, force: true })
  mkdirSync(join(genDir, 'pbjs'), { recursive: true })
  buf(relative(root, protoDir), [
    plugin('protoc-gen-es', 'es', ['target=ts', 'import_extension=js']),
    plugin('protoc-gen-ts_proto', 'ts-proto', ['outputServices=generic-definitions', 'importSuffix=.js']),
  ])
  buf(relative(root, conformanceDir), [plugin('protoc-gen-es', 'conformance-es', ['target=ts', 'import_extension=js'])])
  const staticModule = join(genDir, 'pbjs', 'greeter.js')
  execFileSync(join(bin, 'pbjs'), ['-t', 'static-module', '-w', 'es6', '-o', staticModule, greeterProto])
  // protobufjs-cli 1's es6 wrapper imports `* as $protobuf from "protobufjs/minimal"`: Node's ESM loader needs the file
  // name, and protobufjs is CommonJS, whose exports only a default import sees. protobufjs-cli 2 writes the latter.
  const esmImport = 'import $protobuf from "protobufjs/minimal.js";'
  const code = readFileSync(staticModule, 'utf8').replace('import * as $protobuf from "protobufjs/minimal";', esmImport)
  if (!code.includes(esmImport)) throw new Error(`test/typed/generate.mjs: unexpected import line in ${staticModule}`)
  writeFileSync(staticModule, code)
  execFileSync(join(bin, 'pbts'), ['-o', join(genDir, 'pbjs', 'greeter.d.ts'), staticModule])
  execFileSync(join(bin, 'pbjs'), ['-t', 'json', '-o', join(genDir, 'pbjs', 'greeter.json'), greeterProto])
  writeReadmeExamples()
  writeFileSync(stampFile, expected)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) generate()
