export function CloudScreen() {
  return <h1>Cloud</h1>;
}
