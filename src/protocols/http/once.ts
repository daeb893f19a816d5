/** `fn` on the first call, nothing after: for release and close callbacks reached by several paths. */
export function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
