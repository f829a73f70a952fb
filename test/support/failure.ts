/** Awaits a call that must fail and returns its error, checked to be an instance of `type`. */
export async function failureOf<E>(call: Promise<unknown>, type: abstract new (...args: any[]) => E): Promise<E> {
  try {
    await call
  } catch (error) {
    expect(error).toBeInstanceOf(type)
    return error as E
  }
  throw new Error('the call succeeded')
}
