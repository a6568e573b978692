import t from 'tap'
import { SAM_ACCOUNT_NAME_MAX_LENGTH, samAccountNameProblem, toSamAccountNameCandidate, withNumberSuffix } from '../../src/directory/ad/sam-account-name.js'

const REFUSED = [...'"/\\[]:;|=,+*?<>']

t.test('valid names', async t => {
  t.equal(SAM_ACCOUNT_NAME_MAX_LENGTH, 20)
  for (const name of ['jsmith', 'j.smith', 'JSmith2', 'a', 'x'.repeat(20), 'zoë.müller', '漢字', 'john smith', '.hidden', 'name-with_dash', 'a.']) {
    t.equal(samAccountNameProblem(name), undefined, `${JSON.stringify(name)} is valid`)
  }
})

t.test('each rule, with a reason', async t => {
  t.match(samAccountNameProblem(''), /empty/)
  t.match(samAccountNameProblem('x'.repeat(21)), /has 21 characters; at most 20/)
  t.equal(samAccountNameProblem('😀'.repeat(20)), undefined, 'length counts characters, not UTF-16 units')
  for (const character of REFUSED) {
    t.match(samAccountNameProblem(`ab${character}c`), new RegExp(`contains '${character.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}' \\(character 3\\)`), `${character} is refused`)
  }
  t.match(samAccountNameProblem('a\u0000b'), /control character \(character 2\)/)
  t.match(samAccountNameProblem('a\tb'), /control character/)
  t.match(samAccountNameProblem('a\u007f'), /control character/)
  for (const name of ['.', '...', ' ', ' . . ']) t.match(samAccountNameProblem(name), /only of dots and spaces/, JSON.stringify(name))
})

t.test('candidates from generated values', async t => {
  t.equal(toSamAccountNameCandidate('J.Smith'), 'J.Smith')
  t.equal(toSamAccountNameCandidate('Mary Ann O"Brien'), 'MaryAnnOBrien', 'spaces and refused characters removed')
  t.equal(toSamAccountNameCandidate(`a${REFUSED.join('')}b`), 'ab')
  t.equal(toSamAccountNameCandidate('a\u0000\tb\nc'), 'abc', 'control characters removed')
  t.equal(toSamAccountNameCandidate('abcdefghijklmnopqrstuvwxyz'), 'abcdefghijklmnopqrst', 'cut to 20')
  t.equal(toSamAccountNameCandidate('smith.'), 'smith', 'trailing dot dropped')
  t.equal(toSamAccountNameCandidate('abcdefghijklmnopqrs.tuv'), 'abcdefghijklmnopqrs', 'a dot left at the end by the cut is dropped')
  t.equal(toSamAccountNameCandidate('...'), '', 'nothing usable left')
  t.equal(toSamAccountNameCandidate('😀'.repeat(25)), '😀'.repeat(20), 'cut by characters')
  for (const value of ['Mary Ann O"Brien', 'a.b.c.d.e.f.g.h.i.j.k.l', 'x[y]z:1;2|3', 'van der Berg-Ångström, Jr.']) {
    const candidate = toSamAccountNameCandidate(value)
    t.equal(samAccountNameProblem(candidate), undefined, `${JSON.stringify(value)} → ${JSON.stringify(candidate)} is valid`)
  }
})

t.test('number suffixes keep within 20 characters', async t => {
  t.equal(withNumberSuffix('jsmith', 2), 'jsmith2')
  t.equal(withNumberSuffix('abcdefghijklmnopqrst', 1), 'abcdefghijklmnopqrs1')
  t.equal(withNumberSuffix('abcdefghijklmnopqrst', 123), 'abcdefghijklmnopq123')
  t.equal(withNumberSuffix('😀'.repeat(20), 10), '😀'.repeat(18) + '10')
  t.equal(withNumberSuffix('', 7), '7')
  t.equal(withNumberSuffix('x', 0), 'x0')
  for (const n of [1, 9, 10, 99, 100, 12345]) t.ok(Array.from(withNumberSuffix('y'.repeat(20), n)).length <= 20, `suffix ${n}`)
  t.throws(() => withNumberSuffix('a', -1), RangeError)
  t.throws(() => withNumberSuffix('a', 1.5), RangeError)
  t.throws(() => withNumberSuffix('a', Number.MAX_SAFE_INTEGER * 10), RangeError)
})
