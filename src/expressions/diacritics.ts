/**
 * Letters that do not decompose into a base letter and a mark, spelled as the published
 * NormalizeDiacritics table spells them: æ ǽ → ae, Æ Ǽ → AE, ø œ → oe, Ø Œ → OE, ß → ss,
 * ł → l, đ → d. The rest of the table (ä à â … → a, ç č ć → c, ğ → g, ř → r, ű → u, …) is what
 * removing combining marks gives, which also covers letters the table does not list.
 */
const SPECIAL: Record<string, string> = {
  æ: 'ae', ǽ: 'ae', Æ: 'AE', Ǽ: 'AE', œ: 'oe', Œ: 'OE', ø: 'oe', ǿ: 'oe', Ø: 'OE', Ǿ: 'OE', ß: 'ss', ẞ: 'SS',
  đ: 'd', Đ: 'D', ð: 'd', Ð: 'D', ħ: 'h', Ħ: 'H', ı: 'i', ł: 'l', Ł: 'L', ŀ: 'l', Ŀ: 'L',
  þ: 'th', Þ: 'Th', ŧ: 't', Ŧ: 'T', ĳ: 'ij', Ĳ: 'IJ', ŋ: 'n', Ŋ: 'N', ſ: 's'
}

/** Replaces letters carrying diacritics with their base letters ("Zoë Bjørn" → "Zoe Bjoern"). */
export function normalizeDiacritics (source: string): string {
  return [...source].map(c => SPECIAL[c] ?? c.normalize('NFD').replace(/\p{Mn}+/gu, '')).join('')
}
