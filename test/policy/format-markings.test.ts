/** formatMarkings renders the markings of an opened bundle (normal form, nulls for absent parts). */
import { describe, expect, it } from 'vitest';
import { checkMarkings, formatMarkings } from '../../src/policy/markings.js';

describe('formatMarkings', () => {
  it('accepts the normal form a manifest carries', () => {
    const normal = checkMarkings({ tlp: 'AMBER', classification: 'RAHASIA', releasableTo: { countries: ['MY', 'ID'], organizations: [] }, caveats: ['ORCON'] }, 'm');
    expect(formatMarkings(normal)).toBe('TLP:AMBER RAHASIA REL TO ID, MY ORCON');
    expect(formatMarkings(checkMarkings({ tlp: 'GREEN' }, 'm'))).toBe('TLP:GREEN');
  });
});
