export function CallScreen() {
  return null;
}
