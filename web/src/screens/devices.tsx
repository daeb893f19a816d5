export function DevicesScreen() {
  return <h1>Devices</h1>;
}

export function AddDeviceScreen() {
  return <h1>Add a device</h1>;
}
