/**
 * Case folding for rules declared with `canonical_matching=True`.
 *
 * codex compares such rules with Unicode full case folding (`straße` matches `STRASSE`, the
 * Kelvin sign matches `k`, `ſ` matches `s`), without compatibility normalisation (fullwidth
 * letters stay distinct). Lower-upper-lower casing reproduces full case folding for every case
 * codex was probed with; it is not a general Unicode case-folding implementation.
 */
export function foldCase(value: string): string {
  return value.toLowerCase().toUpperCase().toLowerCase();
}
