// The part of jstat (no published types) that compareRuns uses.
declare module 'jstat' {
  interface Distribution {
    cdf(x: number, df: number): number;
    inv(p: number, df: number): number;
  }
  const jStat: { studentt: Distribution };
  export default jStat;
}
