/**
 * The package as users get it: `npm pack` (which builds), install the tarball with its peers into a fresh ESM
 * project, then type-check, compile and run the README's quick start there. The quick start is read from README.md,
 * so the README cannot drift from what works. Needs the npm registry or a warm npm cache; nothing is skipped.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repoDir = fileURLToPath(new URL('..', import.meta.url))
const commandTimeoutMs = 150_000

interface Invocation {
  statusCode: number
  contentType: string | undefined
  isBase64Encoded: boolean | undefined
  messages: unknown[]
  trailer: Record<string, string>
}

/**
 * Child processes get the environment minus what `npm test` and jest put there for this repository: an inherited
 * `npm_config_local_prefix` would point npm at this repository instead of the temporary project.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (
      /^(npm_config_local_prefix|npm_package_.*|npm_lifecycle_.*|npm_command|INIT_CWD|NODE_OPTIONS|JEST_WORKER_ID)$/i.test(
        name,
      )
    )
      continue
    env[name] = value
  }
  return env
}

function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, env: childEnv(), timeout: commandTimeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${error.message}\n${stdout}\n${stderr}`))
        else resolve(stdout)
      },
    )
  })
}

async function installedVersion(name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(repoDir, 'node_modules', name, 'package.json'), 'utf8')) as {
    version: string
  }
  return manifest.version
}

/** The first fenced block of `language` in the README section that starts with `heading`. */
function readmeBlock(readme: string, heading: string, language: string): string {
  const start = readme.indexOf(`\n${heading}\n`)
  if (start === -1) throw new Error(`README.md has no "${heading}" section`)
  const nextSection = readme.indexOf('\n## ', start + heading.length + 1)
  const section = readme.slice(start, nextSection === -1 ? undefined : nextSection)
  const match = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``).exec(section)
  if (match === null) throw new Error(`README.md "${heading}" has no \`\`\`${language} block`)
  return match[1]
}

// Invokes the compiled quick start with API Gateway HTTP API (v2) events, as API Gateway would deliver them, and
// prints what came back, decoded.
const invokeScript = `
import protobuf from 'protobufjs'
import * as quickStart from './out/quickstart.js'

const root = protobuf.loadSync('greeter.proto')
const HelloRequest = root.lookupType('hello.v1.HelloRequest')
const HelloReply = root.lookupType('hello.v1.HelloReply')

function httpApiEvent(path, body) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: {
      accept: '*/*',
      'content-length': String(body.byteLength),
      'content-type': 'application/grpc-web+proto',
      host: 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com',
      'x-grpc-web': '1',
      'x-forwarded-for': '192.0.2.10',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'a1b2c3d4e5',
      domainName: 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'a1b2c3d4e5',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.10', userAgent: 'package-test' },
      requestId: 'package-test-1',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2025:00:00:00 +0000',
      timeEpoch: 1735689600000,
    },
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
  }
}

const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'quickstart',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:quickstart',
  memoryLimitInMB: '128',
  awsRequestId: 'package-test-1',
  logGroupName: '/aws/lambda/quickstart',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 10_000,
}

function frame(bytes) {
  const framed = Buffer.alloc(5 + bytes.byteLength)
  framed.writeUInt32BE(bytes.byteLength, 1)
  framed.set(bytes, 5)
  return framed
}

async function invoke(exportName, path, name) {
  const result = await quickStart[exportName](httpApiEvent(path, frame(HelloRequest.encode({ name }).finish())), context)
  const body = Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8')
  const messages = []
  const trailer = {}
  for (let offset = 0; offset < body.byteLength; ) {
    const flags = body[offset]
    const length = body.readUInt32BE(offset + 1)
    const data = body.subarray(offset + 5, offset + 5 + length)
    offset += 5 + length
    if (flags === 0) messages.push(HelloReply.toObject(HelloReply.decode(data)))
    else if (flags === 0x80) {
      for (const line of data.toString('utf8').split('\\r\\n')) {
        if (line !== '') trailer[line.slice(0, line.indexOf(':'))] = line.slice(line.indexOf(':') + 1).trim()
      }
    } else throw new Error('unexpected frame flags ' + flags)
  }
  const contentType = result.headers?.['content-type']
  return { statusCode: result.statusCode, contentType, isBase64Encoded: result.isBase64Encoded, messages, trailer }
}

console.log(JSON.stringify({
  sayHello: await invoke('handler', '/hello.v1.Greeter/SayHello', 'package ☺'),
  fail: await invoke('handler', '/hello.v1.Greeter/Fail', 'nobody'),
  singleMethod: await invoke('sayHello', '/hello.v1.Greeter/SayHello', 'single'),
}))
`

describe('the packed package', () => {
  let workDir: string
  let projectDir: string
  let packedFiles: string[]
  let middyMajor: number

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'middy-grpc-package-'))
    projectDir = join(workDir, 'project')

    // `npm pack` runs `prepack`, which builds dist/. It runs in a copy of what the build and the package need, so
    // that this repository's own dist/ (which examples and other tests import) is never deleted under them.
    const stageDir = join(workDir, 'stage')
    const manifest = JSON.parse(await readFile(join(repoDir, 'package.json'), 'utf8')) as { files?: string[] }
    const inputs = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'src', ...(manifest.files ?? [])]
    for (const input of new Set(inputs)) {
      if (input === 'dist' || input.startsWith('!') || !existsSync(join(repoDir, input))) continue
      await cp(join(repoDir, input), join(stageDir, input), { recursive: true })
    }
    await symlink(join(repoDir, 'node_modules'), join(stageDir, 'node_modules'), 'dir')
    const packed = JSON.parse(await run('npm', ['pack', '--json', '--pack-destination', workDir], stageDir)) as {
      filename: string
      files: { path: string }[]
    }[]
    packedFiles = packed[0].files.map((file) => file.path)
    const tarball = join(workDir, packed[0].filename)

    // Peers and tools at the versions this repository tests with (Middy 6 / protobufjs 7 here, 7 / 8 in test:latest).
    const versions = Object.fromEntries(
      await Promise.all(
        ['@middy/core', 'protobufjs', 'typescript', '@types/aws-lambda', '@types/node'].map(async (name) => [
          name,
          await installedVersion(name),
        ]),
      ),
    ) as Record<string, string>
    middyMajor = Number(versions['@middy/core'].split('.')[0])

    await mkdir(projectDir)
    await writeFile(
      join(projectDir, 'package.json'),
      JSON.stringify({ name: 'quickstart', private: true, type: 'module' }, null, 2),
    )
    await run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        tarball,
        ...Object.entries(versions).map(([name, version]) => `${name}@${version}`),
      ],
      projectDir,
    )

    const readme = await readFile(join(repoDir, 'README.md'), 'utf8')
    await writeFile(join(projectDir, 'greeter.proto'), readmeBlock(readme, '## Quick start', 'proto'))
    await writeFile(join(projectDir, 'quickstart.ts'), readmeBlock(readme, '## Quick start', 'ts'))
    await writeFile(join(projectDir, 'invoke.mjs'), invokeScript)
    await writeFile(
      join(projectDir, 'tsconfig.json'),
      JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            types: ['node'],
            // Middy 7's index.d.ts imports an optional peer (@aws/durable-execution-sdk-js) that is not installed.
            skipLibCheck: middyMajor >= 7,
            rootDir: '.',
            outDir: 'out',
          },
          files: ['quickstart.ts'],
        },
        null,
        2,
      ),
    )
  }, 180_000)

  afterAll(async () => {
    if (workDir !== undefined && process.env.KEEP_PACKAGE_TEST_DIR === undefined)
      await rm(workDir, { recursive: true, force: true })
  })

  test('contains the build, the README and the licence, not the sources or tests', () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts']),
    )
    expect(
      packedFiles.filter(
        (path) => !path.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(path),
      ),
    ).toEqual([])
    expect(packedFiles.filter((path) => /\.test\.|^src\/|^test\//.test(path))).toEqual([])
  })

  test('installs with no runtime dependency of its own', async () => {
    const manifest = JSON.parse(
      await readFile(join(projectDir, 'node_modules/middy-grpc/package.json'), 'utf8'),
    ) as Record<string, unknown>
    expect(manifest.dependencies ?? {}).toEqual({})
    expect(Object.keys(manifest.peerDependencies as object).sort()).toEqual(['@middy/core', 'protobufjs'])
  })

  test('type-checks the README quick start with strict TypeScript', async () => {
    // skipLibCheck is on only with Middy 7 (see the tsconfig above); with Middy 6 our .d.ts files are checked too.
    await run(join(projectDir, 'node_modules/.bin/tsc'), ['-p', '.', '--noEmit'], projectDir)
  }, 120_000)

  test('runs the compiled quick start with an HTTP API event carrying gRPC-Web', async () => {
    await run(join(projectDir, 'node_modules/.bin/tsc'), ['-p', '.'], projectDir)
    const output = await run(process.execPath, ['invoke.mjs'], projectDir)
    const results = JSON.parse(output.trim().split('\n').pop()!) as Record<
      'sayHello' | 'fail' | 'singleMethod',
      Invocation
    >

    expect(results.sayHello).toEqual({
      statusCode: 200,
      contentType: 'application/grpc-web+proto',
      isBase64Encoded: true,
      messages: [{ message: 'Hello, package ☺' }],
      trailer: { 'grpc-status': '0' },
    })
    expect(results.fail).toMatchObject({
      statusCode: 200,
      messages: [],
      trailer: { 'grpc-status': '5', 'grpc-message': 'no such user' },
    })
    expect(results.singleMethod).toMatchObject({
      statusCode: 200,
      messages: [{ message: 'Hello, single' }],
      trailer: { 'grpc-status': '0' },
    })
  }, 120_000)
})
