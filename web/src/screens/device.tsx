export function DeviceScreen(_props: { id: string }) {
  return <h1>Device</h1>;
}
