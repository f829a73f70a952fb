// Cold-start baseline: nothing imported.
export const handler = async (): Promise<unknown> => ({ statusCode: 200 })
