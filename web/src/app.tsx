/**
 * The shell: sign-in when there is no session, else the navigation, the current screen and the
 * doorbell call screen, which opens over any screen when a doorbell rings.
 */
import type { ComponentChildren } from 'preact';
import { CallScreen } from './components/call.tsx';
import { href, type Route, useRoute } from './router.ts';
import { CloudScreen } from './screens/cloud.tsx';
import { DeviceScreen } from './screens/device.tsx';
import { AddDeviceScreen, DevicesScreen } from './screens/devices.tsx';
import { EventsScreen } from './screens/events.tsx';
import { LoginScreen } from './screens/login.tsx';
import { SettingsScreen } from './screens/settings.tsx';
import { WallScreen } from './screens/wall.tsx';
import { useSession } from './session.ts';

const NAV: { id: string; label: string }[] = [
  { id: 'live', label: 'Live' },
  { id: 'events', label: 'Events' },
  { id: 'devices', label: 'Devices' },
  { id: 'cloud', label: 'Cloud' },
  { id: 'settings', label: 'Settings' },
];

export function App() {
  const { session, signIn, signOut } = useSession();
  const route = useRoute();
  if (session.kind === 'checking') return <p class="splash">Loading…</p>;
  if (session.kind === 'signed-out') return <LoginScreen onSignIn={signIn} />;
  const current = route.parts[0] ?? 'live';
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href('live')}>
          <img src="/assets/icon.svg" alt="" width="24" height="24" />
          hikbridge
        </a>
        <nav aria-label="Main">
          {NAV.map((item) => (
            <a key={item.id} href={href(item.id)} aria-current={current === item.id ? 'page' : undefined}>
              {item.label}
            </a>
          ))}
        </nav>
        <button type="button" class="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Screen route={route} current={current} />
      </main>
      <CallScreen />
    </>
  );
}

function Screen({ route, current }: { route: Route; current: string }): ComponentChildren {
  const [, id] = route.parts;
  switch (current) {
    case 'live':
      return <WallScreen focus={id} />;
    case 'events':
      return <EventsScreen query={route.query} />;
    case 'devices':
      if (id === 'add') return <AddDeviceScreen />;
      return id ? <DeviceScreen id={id} /> : <DevicesScreen />;
    case 'cloud':
      return <CloudScreen />;
    case 'settings':
      return <SettingsScreen />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            There is no screen “{current}”. <a href={href('live')}>Go to the live view</a>.
          </p>
        </section>
      );
  }
}
