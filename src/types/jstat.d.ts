// The two jStat functions skilldelta uses (the package ships no types; it is CommonJS, so Node's
// ESM loader offers it as a default export only).
declare module 'jstat' {
  const jstat: {
    jStat: {
      studentt: { inv(p: number, dof: number): number }
      normal: { cdf(x: number, mean: number, sd: number): number }
    }
  }
  export default jstat
}
