import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, extname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Script } from 'node:vm'
import type { LambdaHandler } from './lambda-runtime.js'
import { installAwsLambdaGlobal } from './streaming.js'

/** A start-up failure the CLI prints as it is: what went wrong and how to fix it, no stack. */
export class StartupError extends Error {
  override readonly name = 'StartupError'
}

const typeScriptExtensions = ['.ts', '.mts', '.cts', '.tsx']

/**
 * Imports `module[#export]` relative to `cwd`; the export defaults to `handler`. Streamified handlers (Lambda response
 * streaming) call `awslambda.streamifyResponse` while their module loads, so the `awslambda` global is installed
 * first. The usual mistakes (no such file, no such export, ES module syntax in a CommonJS scope, TypeScript this Node
 * cannot run) are StartupErrors saying how to fix them; an error thrown by the module itself keeps its stack.
 */
export async function loadHandler(
  target: string,
  cwd = process.cwd(),
): Promise<{ handler: LambdaHandler; label: string }> {
  const hash = existsSync(resolve(cwd, target)) ? -1 : target.lastIndexOf('#')
  const modulePath = hash === -1 ? target : target.slice(0, hash)
  const exportName = hash === -1 || hash === target.length - 1 ? 'handler' : target.slice(hash + 1)
  const file = resolve(cwd, modulePath)
  if (!existsSync(file) || !statSync(file).isFile())
    throw new StartupError(
      `cannot find handler module ${modulePath} (looked for ${file}): the path is relative to the working directory`,
    )
  installAwsLambdaGlobal()
  // Checked before the import: Node would print a warning of its own before the SyntaxError.
  checkModuleSyntax(modulePath, file)
  let module: Record<string, unknown>
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>
  } catch (error) {
    throw explainImportError(error, modulePath, file) ?? error
  }
  // CommonJS modules arrive as a default export holding module.exports.
  const commonJs =
    module.default !== null && typeof module.default === 'object'
      ? (module.default as Record<string, unknown>)
      : undefined
  const handler = exportName in module ? module[exportName] : commonJs?.[exportName]
  if (handler === undefined) {
    const names = [...new Set([...Object.keys(module), ...Object.keys(commonJs ?? {})])]
    throw new StartupError(
      `${modulePath} has no export named "${exportName}"` +
        (names.length > 0
          ? `; its exports: ${names.join(', ')}. Name one after '#': middy-grpc serve ${modulePath}#${names[0]}`
          : ' (it exports nothing): export the Middy handler, e.g. export const handler = middy()…'),
    )
  }
  if (typeof handler !== 'function')
    throw new StartupError(`${modulePath}#${exportName} is a ${typeof handler}, not a function`)
  return { handler: handler as LambdaHandler, label: `${modulePath}#${exportName}` }
}

/** A StartupError for the import failures a newcomer meets, or undefined for any other. */
function explainImportError(error: unknown, modulePath: string, file: string): StartupError | undefined {
  const code = (error as { code?: unknown } | null)?.code
  const message = String((error as { message?: unknown } | null)?.message ?? '')
  const extension = extname(file)
  if (typeScriptExtensions.includes(extension)) {
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION')
      return new StartupError(
        `cannot load ${modulePath}: this Node (${process.version}) does not run TypeScript. Node 24 and 22.18 or ` +
          `later strip types with no flag; on Node 20 install tsx (npm install -D tsx) and run ` +
          `NODE_OPTIONS='--import tsx' npx middy-grpc serve ${modulePath}. Or serve the compiled .js file.`,
      )
    if (code === 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX')
      return new StartupError(
        `cannot load ${modulePath}: ${firstLine(message)}. Node's type stripping runs erasable syntax only (no ` +
          `enum, namespace or parameter properties): rewrite those, or run it through tsx ` +
          `(NODE_OPTIONS='--import tsx' npx middy-grpc serve ${modulePath}).`,
      )
  }
  const scope = moduleScope(file)
  if (code === 'ERR_REQUIRE_ESM')
    return new StartupError(
      `cannot load ${modulePath}: it is CommonJS and require()s an ES module (middy-grpc and Middy are ES modules ` +
        `only). Write the handler as an ES module (import … from 'middy-grpc') and add "type": "module" to ` +
        `${scope.packageJson ?? 'its package.json'}, or rename it to .mjs.`,
    )
  return undefined
}

/** Node 20.19+ and 22.7+ load module syntax in a package without "type" as an ES module (with a warning). */
const [nodeMajor, nodeMinor] = process.versions.node.split('.').map(Number)
const detectsModuleSyntax =
  nodeMajor > 22 || (nodeMajor === 22 && nodeMinor >= 7) || (nodeMajor === 20 && nodeMinor >= 19)

/**
 * A file Node will load as CommonJS (its extension or its package.json says so, or a package.json without "type" on
 * a Node that does not detect module syntax) must parse as CommonJS: ES module syntax there is a StartupError
 * saying how to make it an ES module. Compiled (not run) with Node's CommonJS wrapper.
 */
function checkModuleSyntax(modulePath: string, file: string): void {
  const extension = extname(file)
  if (extension !== '.js' && extension !== '.cjs') return
  const scope = moduleScope(file)
  if (!scope.commonJs || (scope.typeless && detectsModuleSyntax)) return
  try {
    new Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`, {
      filename: file,
    })
  } catch (error) {
    if ((error as Error | null)?.name !== 'SyntaxError' || !/\b(import|export)\b/.test((error as Error).message)) return
    const fix =
      extension === '.cjs'
        ? `rename it to ${modulePath.slice(0, -extension.length)}.mjs`
        : `add "type": "module" to ${scope.packageJson ?? 'a package.json beside it'}, or rename it to .mjs`
    throw new StartupError(
      `cannot load ${modulePath}: it uses ES module syntax (import/export), but Node loads it as CommonJS ` +
        `(${scope.reason}). The handler must be an ES module: ${fix}.`,
    )
  }
}

/** Whether Node loads `file` as CommonJS without looking at its syntax, and why: its extension, or its package.json. */
function moduleScope(file: string): { commonJs: boolean; typeless?: boolean; reason: string; packageJson?: string } {
  const extension = extname(file)
  if (extension === '.cjs' || extension === '.cts') return { commonJs: true, reason: `its extension is ${extension}` }
  if (extension !== '.js' && extension !== '.ts') return { commonJs: false, reason: '' }
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const packageJson = join(dir, 'package.json')
    if (existsSync(packageJson)) {
      const type = readPackageType(packageJson)
      return type === 'module'
        ? { commonJs: false, reason: '', packageJson }
        : {
            commonJs: true,
            typeless: type === undefined,
            reason: type === undefined ? `${packageJson} has no "type"` : `${packageJson} has "type": "${type}"`,
            packageJson,
          }
    }
    if (dirname(dir) === dir) return { commonJs: true, typeless: true, reason: 'no package.json says "type": "module"' }
  }
}

function readPackageType(packageJson: string): string | undefined {
  try {
    const type = (JSON.parse(readFileSync(packageJson, 'utf8')) as { type?: unknown }).type
    return typeof type === 'string' ? type : undefined
  } catch {
    return undefined
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0].replace(/\.$/, '')
}
