/** What `run` throws, to assert on its name, message or cause; undefined when it returns. */
export function thrownBy(run: () => unknown): Error | undefined {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  return undefined;
}
