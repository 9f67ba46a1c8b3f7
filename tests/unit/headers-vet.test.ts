import { describe, expect, it } from 'vitest';
import { HEADER_LIMITS, headerName, headerText, safeAddress } from '../../src/delivery/headers.js';
import { cardProblem, vetEdition } from '../../src/render/vet.js';
import { sampleBriefing, sampleEdition } from '../support/digest.js';

describe('header values', () => {
  it('turn controls and line separators into spaces, collapse them, and cap the length', () => {
    expect(headerText('a\r\nBcc: x@y\u2028\u2029\u0085\u0000\u007f\u001b\b\u0007b')).toBe('a Bcc: x@y b');
    expect(Array.from(headerText('é'.repeat(500))).length).toBe(HEADER_LIMITS.subject);
    expect(Array.from(headerName('n'.repeat(500))).length).toBe(HEADER_LIMITS.name);
    expect(headerText('=?utf-8?q?x=0d=0aBcc:_a@b?=')).toBe('=\u200b?utf-8?q?x=0d=0aBcc:_a@b?=');
  });

  it('strip controls and whitespace from an address, and drop an empty name', () => {
    expect(safeAddress({ name: '\r\n', address: 'a@b.example\r\nBcc: c@d' })).toBe('a@b.exampleBcc:c@d');
    expect(safeAddress({ name: 'Ada\nLovelace', address: 'ada@example.com' })).toEqual({
      name: 'Ada Lovelace',
      address: 'ada@example.com',
    });
  });
});

describe('vetting briefing cards', () => {
  const ok = sampleBriefing('china', 1, '2024-11-30T01:00:00Z');
  it('names why a card cannot be rendered', () => {
    expect(cardProblem(ok)).toBeNull();
    expect(cardProblem({ ...ok, title: 'a\u0000b' })).toBe('control character U+0000 in title');
    expect(cardProblem({ ...ok, lead: 'x\u009by' })).toBe('control character U+009B in lead');
    expect(cardProblem({ ...ok, url: 'javascript:alert(1)' })).toMatch(/scheme javascript:/);
    expect(cardProblem({ ...ok, title: '{{reader.name}} and \n tabs\t' })).toBeNull();
  });

  it('drops only the bad briefings, each once, and empty sections with them', () => {
    const edition = sampleEdition([2, 1]);
    const [first, second] = edition.sections;
    const bad = { ...(second?.briefings[0] as typeof ok), title: 'x\u0000' };
    const poisoned = { ...edition, sections: [first, { ...second, briefings: [bad] }] } as typeof edition;
    const { edition: vetted, dropped } = vetEdition(poisoned);
    expect(vetted.sections).toHaveLength(1);
    expect(dropped).toEqual([{ id: bad.id, title: 'x\uFFFD', reason: 'control character U+0000 in title' }]);
    expect(vetEdition(edition).edition).toBe(edition);
  });
});
