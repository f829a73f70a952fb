/**
 * The package as users get it: `npm pack` (which builds), then the README's quick start followed as a newcomer would,
 * in a project made by `npm init -y`: its files and commands are read from README.md and run as they stand, with the
 * packed tarball for `middy-grpc`, the peers at the versions this repository tests with, and a free port instead of
 * 3000; the replies must be the outputs the README shows. So the README cannot drift from what works. Needs the npm
 * registry or a warm npm cache (it installs tsx and runs buf through npx); nothing is skipped.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repoDir = fileURLToPath(new URL('..', import.meta.url))
const commandTimeoutMs = 150_000

/**
 * Child processes get the environment minus what `npm test` and jest put there for this repository: an inherited
 * `npm_config_local_prefix` would point npm at this repository instead of the temporary project. The Node running
 * this test comes first on PATH, so `node`, `npm` and `npx` run the quick start on it. npm settings that a person
 * at a terminal would not notice come from the environment, so that the README's commands run as written: `yes`
 * answers npx's "Ok to proceed?" and `prefer-offline` takes packages from the npm cache when it has them.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    npm_config_yes: 'true',
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  }
  for (const [name, value] of Object.entries(process.env)) {
    if (name in env) continue
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

/** `command` as a shell runs it, in `cwd`; its standard output. */
function shell(command: string, cwd: string): Promise<string> {
  return run('sh', ['-c', command], cwd)
}

interface Fence {
  language: string
  body: string
}

/** The fenced blocks of README.md between the `from` heading line and the next heading of `to`'s level or `to`. */
function readmeFences(readme: string, from: string, to: string): Fence[] {
  const start = readme.indexOf(`\n${from}\n`)
  if (start === -1) throw new Error(`README.md has no "${from}" heading`)
  const end = readme.indexOf(`\n${to}`, start + from.length + 1)
  if (end === -1) throw new Error(`README.md has no "${to}" heading after "${from}"`)
  return [...readme.slice(start, end).matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({
    language: match[1],
    body: match[2],
  }))
}

/** The command of a one-line `sh` block. */
function oneCommand(fence: Fence): string {
  const lines = fence.body.trimEnd().split('\n')
  if (fence.language !== 'sh' || lines.length !== 1)
    throw new Error(`expected a one-line sh block, got:\n${fence.body}`)
  return lines[0]
}

/** `text` with `from` replaced by `to`, failing when `text` has no `from` (the README changed under the test). */
function substitute(text: string, from: string | RegExp, to: string): string {
  if (typeof from === 'string' ? !text.includes(from) : !from.test(text))
    throw new Error(`"${text}" has no ${String(from)}`)
  return text.replace(from, to)
}

interface Server {
  /** Its first line of output. */
  banner: string
  url: string
  stderr(): string
  stop(): Promise<void>
}

const servers = new Set<ChildProcess>()

/** Runs the shell command `command` in `cwd` and waits for its first `lines` lines of output: the dev server's banner. */
function startServer(command: string, cwd: string, lines: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    // A process group of its own, so that stopping it reaches npx and the node process npx starts.
    const child = spawn('sh', ['-c', command], { cwd, env: childEnv(), detached: true, stdio: 'pipe' })
    servers.add(child)
    const exited = new Promise<void>((done) =>
      child.once('exit', () => {
        servers.delete(child)
        done()
      }),
    )
    let stdout = ''
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      if (stdout.split('\n').length <= lines) return
      const banner = stdout.split('\n').slice(0, lines).join('\n')
      const url = / at (http:\/\/\S+) /.exec(banner)?.[1]
      if (url === undefined) reject(new Error(`${command}: unexpected first line\n${stdout}\n${stderr}`))
      else resolve({ banner, url, stderr: () => stderr, stop: () => stopServer(child, exited) })
    })
    child.once('exit', (code, signal) =>
      reject(new Error(`${command} exited (${code ?? signal}) before serving:\n${stdout}\n${stderr}`)),
    )
  })
}

async function stopServer(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM')
  await exited
}

describe('the packed package, following the README quick start', () => {
  let workDir: string
  let projectDir: string
  let packedFiles: string[]
  let versions: Record<string, string>
  let quickStart: Fence[]
  let typeScript: Fence[]
  let readme: string

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
    versions = Object.fromEntries(
      await Promise.all(
        ['@middy/core', 'protobufjs', 'typescript', '@types/aws-lambda', '@types/node'].map(async (name) => [
          name,
          await installedVersion(name),
        ]),
      ),
    ) as Record<string, string>

    // The README: two files, then install, serve and call, each a one-line sh block; the serve command and the calls
    // are followed by their output. Then the TypeScript handler and how to serve it on each Node.
    readme = await readFile(join(repoDir, 'README.md'), 'utf8')
    quickStart = readmeFences(readme, '## Quick start', '### Running a `.ts` handler')
    typeScript = readmeFences(readme, '### Running a `.ts` handler', '### ')
    expect(quickStart.map((fence) => fence.language)).toEqual([
      'proto',
      'js',
      'sh',
      'sh',
      'text',
      'sh',
      'text',
      'sh',
      'text',
    ])
    expect(typeScript.map((fence) => fence.language)).toEqual(['ts', 'sh', 'sh'])

    await mkdir(projectDir)
    await run('npm', ['init', '-y'], projectDir)
    await writeFile(join(projectDir, 'greeter.proto'), quickStart[0].body)
    await writeFile(join(projectDir, 'handler.js'), quickStart[1].body)
    await writeFile(join(projectDir, 'handler.ts'), typeScript[0].body)

    let install = substitute(oneCommand(quickStart[2]), / middy-grpc(?= |$)/, ` ${tarball}`)
    for (const peer of ['@middy/core', 'protobufjs'])
      install = substitute(install, new RegExp(` ${peer}(?= |$)`), ` ${peer}@${versions[peer]}`)
    await shell(install, projectDir)
  }, 240_000)

  afterAll(async () => {
    for (const child of servers) process.kill(-child.pid!, 'SIGKILL')
    if (workDir !== undefined && process.env.KEEP_PACKAGE_TEST_DIR === undefined)
      await rm(workDir, { recursive: true, force: true })
  })

  /** Starts the README's serve command on a free port; its banner must be the README's, modulo the port and file. */
  async function serve(command: string, file: string): Promise<Server> {
    const shown = quickStart[4].body.trimEnd()
    const server = await startServer(`${command} --port 0`, projectDir, shown.split('\n').length)
    try {
      const banner = shown.replaceAll('127.0.0.1:3000', `127.0.0.1:${new URL(server.url).port}`)
      expect(server.banner).toBe(substitute(banner, './handler.js#', `${file}#`))
    } catch (error) {
      await server.stop()
      throw error
    }
    return server
  }

  /** What the server wrote to stderr besides its one line per call: no warnings, in particular. */
  function unexpectedLogLines(server: Server): string[] {
    return server
      .stderr()
      .split('\n')
      .filter(
        (line) =>
          line !== '' &&
          !/^POST \/hello\.v1\.Greeter\/\w+ connect HTTP\/1\.1 → HTTP \d+( \w+ ".*")? [\d.]+ ms$/.test(line),
      )
  }

  /** The README's curl call (or another method of it), against `url` instead of port 3000. */
  function curl(url: string, method = 'SayHello', options = ''): Promise<string> {
    const command = substitute(
      oneCommand(quickStart[5]),
      'http://127.0.0.1:3000/hello.v1.Greeter/SayHello',
      `${url}/hello.v1.Greeter/${method}`,
    )
    return shell(`${command}${options}`, projectDir)
  }

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

  test('installs with no runtime dependency of its own, into a project the install line made ESM', async () => {
    const manifest = JSON.parse(
      await readFile(join(projectDir, 'node_modules/middy-grpc/package.json'), 'utf8'),
    ) as Record<string, unknown>
    expect(manifest.dependencies ?? {}).toEqual({})
    expect(Object.keys(manifest.peerDependencies as object).sort()).toEqual([
      '@bufbuild/protobuf',
      '@middy/core',
      'protobufjs',
    ])
    // Only protobuf-es and ts-proto users install @bufbuild/protobuf: npm must not add it to this project.
    expect(manifest.peerDependenciesMeta).toEqual({ '@bufbuild/protobuf': { optional: true } })
    expect(existsSync(join(projectDir, 'node_modules/@bufbuild/protobuf'))).toBe(false)
    const project = JSON.parse(await readFile(join(projectDir, 'package.json'), 'utf8')) as Record<string, unknown>
    expect(project.type).toBe('module')
  })

  test("serves handler.js and answers the README's curl and buf curl calls with the replies it shows", async () => {
    const server = await serve(oneCommand(quickStart[3]), './handler.js')
    try {
      expect(await curl(server.url)).toBe(quickStart[6].body.trimEnd())
      const bufCurl = substitute(oneCommand(quickStart[7]), 'http://127.0.0.1:3000', server.url)
      expect(await shell(bufCurl, projectDir)).toBe(quickStart[8].body)
      // "`/hello.v1.Greeter/Fail` answers HTTP 404 with `{...}`", as the README says below the calls.
      const [body, status] = (await curl(server.url, 'Fail', " -w '\\n%{http_code}'")).split('\n')
      expect({ body, status }).toEqual({ body: '{"code":"not_found","message":"no such user"}', status: '404' })
      expect(readme).toContain(`\`/hello.v1.Greeter/Fail\` answers HTTP ${status} with \`${body}\``)
      // No warning either: the project is ESM, so Node does not have to guess.
      expect(unexpectedLogLines(server)).toEqual([])
    } finally {
      await server.stop()
    }
  }, 120_000)

  test('bundles with esbuild without @bufbuild/protobuf, serves the bundle, and only middy-grpc/protobuf-es needs it', async () => {
    // The usual ESM Lambda bundle: a `require` for the CommonJS packages inside (protobufjs reads files with it),
    // under a name of its own (esbuild cannot see a banner's bindings; the package's own imports keep theirs).
    const banner =
      "--banner:js=import { createRequire as bannerCreateRequire } from 'node:module'; const require = bannerCreateRequire(import.meta.url);"
    const esbuild = join(repoDir, 'node_modules/.bin/esbuild')
    await run(
      esbuild,
      ['handler.js', '--bundle', '--platform=node', '--format=esm', banner, '--outfile=bundle.mjs'],
      projectDir,
    )
    expect(await readFile(join(projectDir, 'bundle.mjs'), 'utf8')).not.toContain('@bufbuild/protobuf')
    const server = await serve(substitute(oneCommand(quickStart[3]), './handler.js', './bundle.mjs'), './bundle.mjs')
    try {
      expect(await curl(server.url)).toBe(quickStart[6].body.trimEnd())
    } finally {
      await server.stop()
    }
    const protobufEs = await run(
      'node',
      ['--input-type=module', '-e', "await import('middy-grpc/protobuf-es').catch((error) => console.log(error.code))"],
      projectDir,
    )
    expect(protobufEs).toBe('ERR_MODULE_NOT_FOUND\n')
  }, 120_000)

  test("serves handler.ts the README's way for this Node and answers the curl call", async () => {
    const [strippingNode, loaderNode] = typeScript.slice(1).map((fence) => fence.body.trimEnd().split('\n'))
    expect(strippingNode).toEqual(['npx middy-grpc serve ./handler.ts'])
    expect(loaderNode).toEqual(['npm install -D tsx', "NODE_OPTIONS='--import tsx' npx middy-grpc serve ./handler.ts"])
    // Node 24 and 22.18 or later strip types by default (so does 23.6 or later, which the README leaves out).
    const [major, minor] = process.versions.node.split('.').map(Number)
    const stripsTypes = major >= 24 || (major === 22 && minor >= 18)
    let serveCommand = strippingNode[0]
    if (!stripsTypes) {
      await shell(loaderNode[0], projectDir)
      serveCommand = loaderNode[1]
    }
    const server = await serve(serveCommand, './handler.ts')
    try {
      expect(await curl(server.url)).toBe(quickStart[6].body.trimEnd())
      expect(unexpectedLogLines(server)).toEqual([])
    } finally {
      await server.stop()
    }
  }, 180_000)

  test('type-checks handler.ts with strict TypeScript, as erasable syntax only', async () => {
    const tools = ['typescript', '@types/aws-lambda', '@types/node'].map((name) => `${name}@${versions[name]}`)
    await run('npm', ['install', '-D', ...tools], projectDir)
    await writeFile(
      join(projectDir, 'tsconfig.json'),
      JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            erasableSyntaxOnly: true,
            verbatimModuleSyntax: true,
            noEmit: true,
            types: ['node'],
            // Middy 7's index.d.ts imports an optional peer (@aws/durable-execution-sdk-js) that is not installed.
            skipLibCheck: Number(versions['@middy/core'].split('.')[0]) >= 7,
          },
          files: ['handler.ts'],
        },
        null,
        2,
      ),
    )
    // skipLibCheck is on only with Middy 7; with Middy 6 our .d.ts files are checked too.
    await run(join(projectDir, 'node_modules/.bin/tsc'), ['-p', '.'], projectDir)
  }, 120_000)
})
