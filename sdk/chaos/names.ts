import type { Rng } from './random.js';

// Entropy names a policy adjective_noun when none is given, like Docker names containers.
const ADJECTIVES = [
  'brave',
  'calm',
  'eager',
  'fuzzy',
  'gentle',
  'jolly',
  'lucid',
  'nimble',
  'quirky',
  'rusty',
  'sly',
  'stoic',
  'wild',
  'zesty',
];
const NOUNS = [
  'albatross',
  'badger',
  'condor',
  'falcon',
  'gremlin',
  'heron',
  'kestrel',
  'lynx',
  'marmot',
  'osprey',
  'puffin',
  'swift',
  'tern',
  'wombat',
];

export function generateName(rng: Rng, taken: (name: string) => boolean): string {
  for (let i = 0; i < 50; i++) {
    const a = ADJECTIVES[Math.floor(rng.next() * ADJECTIVES.length)];
    const n = NOUNS[Math.floor(rng.next() * NOUNS.length)];
    const name = i < 25 ? `${a}_${n}` : `${a}_${n}${i}`;
    if (!taken(name)) return name;
  }
  return `policy_${Math.floor(rng.next() * 1e9)}`;
}
