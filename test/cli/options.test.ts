/** The option parsers every subcommand shares: plain digits only, ranges, channel lists. */
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  parseChannelList,
  parseCount,
  parseFingerprint,
  parsePort,
  parseTimeoutMs,
} from '../../src/cli/options.ts';

const rejects = (parse: (value: string) => unknown, value: string) =>
  expect(() => parse(value), JSON.stringify(value)).toThrow(InvalidArgumentError);

describe('parseChannelList', () => {
  it('reads a comma-separated list, spaces allowed around items', () => {
    expect(parseChannelList('1,2,5')).toEqual([1, 2, 5]);
    expect(parseChannelList(' 3 , 512')).toEqual([3, 512]);
    expect(parseChannelList('7')).toEqual([7]);
  });

  it('rejects an empty list, empty items, repeats, out-of-range and non-decimal numbers', () => {
    for (const value of [
      '',
      ' ',
      ',',
      '1,',
      ',1',
      '1,,2',
      '0',
      '513',
      '-1',
      '1,1',
      '1.0',
      '1e1',
      '0x10',
      'one',
    ])
      rejects(parseChannelList, value);
  });
});

describe('parseTimeoutMs', () => {
  it('accepts whole milliseconds a timer can honour', () => {
    expect(parseTimeoutMs('1')).toBe(1);
    expect(parseTimeoutMs('5000')).toBe(5000);
    expect(parseTimeoutMs(String(2 ** 31 - 1))).toBe(2 ** 31 - 1);
  });

  it('rejects zero, words, exponents, fractions and delays a timer would fire at once', () => {
    for (const value of ['0', '', 'soon', '1e3', '1.5', ' 5', '-5', String(2 ** 31)])
      rejects(parseTimeoutMs, value);
  });
});

describe('parsePort and parseCount', () => {
  it('take their ranges and nothing else', () => {
    expect(parsePort('0')).toBe(0);
    expect(parsePort('65535')).toBe(65535);
    for (const value of ['65536', '-1', '80.0', '0x50', '']) rejects(parsePort, value);
    expect(parseCount('1')).toBe(1);
    expect(parseCount('5000')).toBe(5000);
    for (const value of ['0', '5001', '2e3']) rejects(parseCount, value);
  });
});

describe('parseFingerprint', () => {
  it('takes a SHA-256 fingerprint with or without colons and rejects anything shorter', () => {
    const hex = 'AB'.repeat(32);
    expect(parseFingerprint(hex)).toBe(hex);
    const colons = hex.match(/../g)!.join(':');
    expect(parseFingerprint(colons)).toBe(colons);
    for (const value of ['abc', 'AB'.repeat(20), 'ZZ'.repeat(32)]) rejects(parseFingerprint, value);
  });
});
