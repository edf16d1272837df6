import { describeError } from './errors';

/** What a page shows for a failed call: "not allowed" for a 403, else the message. */
export type Failure = { notAllowed: boolean; message: string };

export function failureOf(error: unknown, response: Response | undefined): Failure {
  return { notAllowed: response?.status === 403, message: describeError(error, response) };
}
