/**
 * Where terminal log lines go: straight to stderr, or above the live progress bars while they are drawn
 * (writing under them would tear the bars apart).
 */
let sink: (line: string) => void = (line) => process.stderr.write(line + "\n")
const direct = sink

export const writeTerminalLine = (line: string) => sink(line)

export const redirectTerminalLines = (to: ((line: string) => void) | undefined) => {
  sink = to ?? direct
}
