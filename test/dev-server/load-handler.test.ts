import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { StartupError, loadHandler } from '../../src/dev-server/load-handler.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const fixtures = 'test/fixtures/cli'

test('an ES module export named after #, labelled module#export', async () => {
  const { handler, label } = await loadHandler(`${fixtures}/exports.mjs#sayHello`, root)
  expect(label).toBe(`${fixtures}/exports.mjs#sayHello`)
  expect(await (handler as () => Promise<unknown>)()).toEqual({ statusCode: 200, body: 'hello' })
})

test('a CommonJS module: its module.exports.handler', async () => {
  const { handler } = await loadHandler(`${fixtures}/commonjs-exports.cjs`, root)
  expect(await (handler as () => Promise<unknown>)()).toEqual({ statusCode: 200, body: 'from commonjs' })
})

test('an export that is not a function, a missing file: StartupErrors', async () => {
  await expect(loadHandler(`${fixtures}/commonjs-exports.cjs#notAFunction`, root)).rejects.toEqual(
    new StartupError(`${fixtures}/commonjs-exports.cjs#notAFunction is a number, not a function`),
  )
  await expect(loadHandler(`${fixtures}/missing.mjs`, root)).rejects.toBeInstanceOf(StartupError)
})

test('ES module syntax in a "type": "commonjs" package is refused before Node loads it', async () => {
  await expect(loadHandler(`${fixtures}/commonjs/handler.js`, root)).rejects.toThrow(
    /it uses ES module syntax \(import\/export\), but Node loads it as CommonJS \(.*has "type": "commonjs"\)/,
  )
})
