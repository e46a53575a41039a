/**
 * "Did you mean …?" for the rules file's error messages: the candidate closest to a misspelt name (an unknown field,
 * an undefined robot), by prefix or by edit distance, or none when nothing is close enough.
 */

/** The candidate `word` was most likely meant to be, or undefined when none is close. */
export function closest(word: string, candidates: string[]): string | undefined {
  const lower = word.toLowerCase();
  const prefixMatch = candidates.find((c) => c.toLowerCase().startsWith(lower) || lower.startsWith(c.toLowerCase()));
  if (lower.length >= 3 && prefixMatch) return prefixMatch;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
