/**
 * Letters that do not decompose into a base letter and a mark, spelled as Entra's
 * NormalizeDiacritics table spells them (æ → ae, ß → ss, ø → oe, …).
 */
const SPECIAL: Record<string, string> = {
  æ: 'ae', Æ: 'Ae', œ: 'oe', Œ: 'Oe', ø: 'oe', Ø: 'Oe', ß: 'ss', ẞ: 'SS',
  đ: 'd', Đ: 'D', ð: 'd', Ð: 'D', ħ: 'h', Ħ: 'H', ı: 'i', ł: 'l', Ł: 'L', ŀ: 'l', Ŀ: 'L',
  þ: 'th', Þ: 'Th', ŧ: 't', Ŧ: 'T', ĳ: 'ij', Ĳ: 'IJ', ŋ: 'n', Ŋ: 'N', ſ: 's'
}

/** Replaces letters carrying diacritics with their base letters ("Zoë Bjørn" → "Zoe Bjoern"). */
export function normalizeDiacritics (source: string): string {
  return [...source].map(c => SPECIAL[c] ?? c.normalize('NFD').replace(/\p{Mn}+/gu, '')).join('')
}
