export function EventsScreen(_props: { query: URLSearchParams }) {
  return <h1>Events</h1>;
}
