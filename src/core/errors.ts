// One error type for everything a user can cause (bad file, missing tool,
// interrupted run). The CLI prints it as one line; anything else is a bug.

/** A failure the user can fix (bad file, missing tool, bad option): `file` names the file, `problem` says what is wrong. */
export class ToonscopeError extends Error {
  readonly file: string | undefined;
  readonly problem: string;
  constructor(file: string | undefined, problem: string) {
    super(file ? `${file}: ${problem}` : problem);
    this.name = 'ToonscopeError';
    this.file = file;
    this.problem = problem;
  }
}

/** Whether `e` is a ToonscopeError (a user-caused failure) rather than a bug. */
export function isToonscopeError(e: unknown): e is ToonscopeError {
  return e instanceof ToonscopeError;
}
