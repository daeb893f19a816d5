/** The set of active faults of one simulated device and how a request path selects them. */
import type { SimFault } from './types.ts';

type FaultOf<K extends SimFault['kind']> = Extract<SimFault, { kind: K }>;

function pathsOf(fault: SimFault): string[] | undefined {
  return 'paths' in fault ? fault.paths : undefined;
}

/** Fault paths are prefixes of the request path (query excluded); no paths = every path. */
export function faultMatches(fault: SimFault, path: string): boolean {
  const paths = pathsOf(fault);
  return !paths || paths.some((prefix) => path.startsWith(prefix));
}

export class FaultSet {
  private faults: SimFault[] = [];

  add(fault: SimFault): void {
    this.faults.push(fault);
  }

  clear(): void {
    this.faults = [];
  }

  list(): SimFault[] {
    return [...this.faults];
  }

  /** The first active fault of that kind applying to the path. */
  find<K extends SimFault['kind']>(kind: K, path: string): FaultOf<K> | undefined {
    return this.faults.find((fault) => fault.kind === kind && faultMatches(fault, path)) as
      | FaultOf<K>
      | undefined;
  }

  has(kind: SimFault['kind']): boolean {
    return this.faults.some((fault) => fault.kind === kind);
  }

  /** Removes and returns a one-shot fault (streamTruncate). */
  take<K extends SimFault['kind']>(kind: K): FaultOf<K> | undefined {
    const index = this.faults.findIndex((fault) => fault.kind === kind);
    if (index < 0) return undefined;
    return this.faults.splice(index, 1)[0] as FaultOf<K>;
  }

  /** The latest streamFraming fault: it sets how new alertStream connections are framed. */
  latest<K extends SimFault['kind']>(kind: K): FaultOf<K> | undefined {
    return this.faults.findLast((fault) => fault.kind === kind) as FaultOf<K> | undefined;
  }
}
