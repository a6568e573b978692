/**
 * objectGUID as Active Directory stores it: the 16 bytes of a GUID in Microsoft's layout,
 * where the first three fields (4, 2 and 2 bytes) are little-endian and the last 8 bytes are
 * in string order. So 00112233-4455-6677-8899-aabbccddeeff is 33 22 11 00 55 44 77 66 88 99 aa bb cc dd ee ff.
 */
export function objectGuidBytes (guid: string): Buffer {
  const hex = guid.replace(/-/g, '')
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`not a GUID: ${JSON.stringify(guid)}`)
  const bytes = Buffer.from(hex, 'hex')
  bytes.subarray(0, 4).reverse()
  bytes.subarray(4, 6).reverse()
  bytes.subarray(6, 8).reverse()
  return bytes
}
