/** The message of a thrown `Error`, or the thrown value itself as text: for error messages that quote a cause. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
