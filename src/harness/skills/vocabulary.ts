/**
 * The words skill selection compares goals and skills by. Goals and skills are written by
 * different people: one says "random input", the other "stochastic integrator"; one writes the
 * paper's `tau0`, the other TVB's `r`. A small table of concepts bridges them — every phrase of a
 * concept adds the concept's token to the text it occurs in (goal and skill alike), so BM25 sees
 * them as one term. Keep it small and about meaning, not about any one goal; measure any change
 * with `npx skilldelta skills eval`.
 */

export const CONCEPTS: Readonly<Record<string, readonly string[]>> = {
  noise: [
    'noise',
    'noisy',
    'stochastic',
    'random',
    'randomness',
    'fluctuation',
    'nsig',
    'heunstochastic',
    'eulerstochastic',
    'additive',
    'multiplicative',
    'seed',
    'langevin',
    'white noise',
  ],
  integration: [
    'integrator',
    'integration',
    'integrate',
    'step size',
    'time step',
    'integration step',
    'heundeterministic',
    'heun',
    'euler',
    'scheme',
    'sde',
    'convergence',
  ],
  spectrum: [
    'spectrum',
    'spectra',
    'spectral',
    'psd',
    'welch',
    'periodogram',
    'fft',
    'power spectral density',
    'power spectrum',
    'dominant frequency',
    'peak frequency',
    'frequency band',
    'alpha band',
    'rhythm',
  ],
  bold: ['bold', 'fmri', 'haemodynamic', 'hemodynamic', 'balloon'],
  monitor: [
    'monitor',
    'temporalaverage',
    'subsample',
    'sampling period',
    'sampling rate',
    'eeg',
    'meg',
    'ieeg',
    'seeg',
    'several monitors',
  ],
  connectome: [
    'connectome',
    'structural connectivity',
    'structural weight',
    'weight matrix',
    'tract length',
    'tract_lengths',
    'parcellation',
    'region label',
    'region_labels',
    'their label',
    'hemisphere',
    'node strength',
    'degree',
    'graph',
  ],
  delay: ['delay', 'conduction speed', 'conduction velocity', 'transmission'],
  simulation: ['simulate', 'simulation', 'simulator', 'sim run', 'run simulation', 'neural mass', 'whole brain model'],
  notation: ['notation', "paper's parameter", "paper's constant", 'paper parameter', 'as written', 'published'],
}

const STOPWORDS = new Set(
  (
    'a an and are as at be by can do does for from has have how in into is it its of on or over per that the their ' +
    'then there these this those to was were what when where which with within without you your use using each ' +
    'every one two three all any also than not only more most after before between both'
  ).split(' '),
)

/** A light plural stemmer: "monitors" → "monitor", "delays" → "delay"; "analysis", "gauss" stay. */
export function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`
  if (word.length > 3 && word.endsWith('s') && !/(ss|us|is|os)$/.test(word)) return word.slice(0, -1)
  return word
}

/** Lower-case words of a text (letters, digits, "_"), stemmed, without stopwords. */
export function words(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9_']+/g) ?? [])
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter((w) => w.length > 1 && !STOPWORDS.has(w))
    .map(stem)
}

const PHRASES: [string[], string][] = Object.entries(CONCEPTS).flatMap(([concept, phrases]) =>
  phrases.map((phrase): [string[], string] => [phrase.split(' ').map(stem), `#${concept}`]),
)

/** The words of a text, and a concept token wherever one of the concept's phrases occurs. */
export function terms(text: string): string[] {
  // the apostrophe-free stream, as phrases are matched on it ("paper's" stays one word)
  const stream = (text.toLowerCase().match(/[a-z0-9_']+/g) ?? [])
    .map((w) => stem(w.replace(/^'+|'+$/g, '')))
    .filter(Boolean)
  const out = stream.filter((w) => w.length > 1 && !STOPWORDS.has(w))
  for (let i = 0; i < stream.length; i++) {
    for (const [phrase, concept] of PHRASES) {
      if (phrase.every((part, k) => stream[i + k] === part)) out.push(concept)
    }
  }
  return out
}
