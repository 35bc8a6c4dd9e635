import { Effect, type Scope } from "effect"
import * as dgram from "node:dgram"
import * as net from "node:net"

export type DnsRcode = "NOERROR" | "SERVFAIL" | "NXDOMAIN" | "REFUSED"

/** How the server answers one question: an rcode and, for NOERROR, the addresses of the asked family. */
export type DnsAnswer =
  | { readonly rcode: DnsRcode; readonly addresses?: ReadonlyArray<string>; readonly ttl?: number; readonly delayMs?: number }
  /** No answer at all: the client times out. */
  | "drop"

const RCODES: Record<DnsRcode, number> = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 }
const A = 1
const AAAA = 28

const readName = (message: Buffer, offset: number) => {
  const labels: Array<string> = []
  let at = offset
  while (at < message.length && message[at]! !== 0) {
    const length = message[at]!
    labels.push(message.subarray(at + 1, at + 1 + length).toString("latin1"))
    at += 1 + length
  }
  return { name: labels.join(".").toLowerCase(), end: at + 1 }
}

const addressBytes = (address: string, type: number): Buffer | undefined => {
  if (type === A && net.isIPv4(address)) return Buffer.from(address.split(".").map(Number))
  if (type === AAAA && net.isIPv6(address)) {
    const [head = "", tail = ""] = address.split("::")
    const groups = (s: string) => (s === "" ? [] : s.split(":"))
    const missing = 8 - groups(head).length - groups(tail).length
    const all = [...groups(head), ...Array.from({ length: address.includes("::") ? missing : 0 }, () => "0"), ...groups(tail)]
    const out = Buffer.alloc(16)
    all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2))
    return out
  }
  return undefined
}

/** The answer to one query as a DNS message (RFC 1035): its question echoed, the records for its type. */
const reply = (query: Buffer, answer: Exclude<DnsAnswer, "drop">) => {
  const { end } = readName(query, 12)
  const question = query.subarray(12, end + 4)
  const type = query.readUInt16BE(end)
  const records = answer.rcode === "NOERROR" ? (answer.addresses ?? []).map((a) => addressBytes(a, type)).filter((b) => b !== undefined) : []
  const header = Buffer.alloc(12)
  header.writeUInt16BE(query.readUInt16BE(0), 0)
  header.writeUInt16BE(0x8000 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | RCODES[answer.rcode], 2)
  header.writeUInt16BE(1, 4)
  header.writeUInt16BE(records.length, 6)
  const rrs = records.map((rdata) => {
    const rr = Buffer.alloc(12)
    rr.writeUInt16BE(0xc00c, 0)
    rr.writeUInt16BE(type, 2)
    rr.writeUInt16BE(1, 4)
    rr.writeUInt32BE(answer.ttl ?? 300, 6)
    rr.writeUInt16BE(rdata.length, 10)
    return Buffer.concat([rr, rdata])
  })
  return Buffer.concat([header, question, ...rrs])
}

export interface FakeDnsServer {
  /** `127.0.0.1:PORT`, as SCRAPER_DNS_SERVERS takes it. */
  readonly address: string
  /** Questions received (one per name and type). */
  readonly queries: () => ReadonlyArray<{ readonly name: string; readonly type: "A" | "AAAA" | number }>
  /** Most names being answered at once (questions received, answer not yet sent, counted by name). */
  readonly peakInFlight: () => number
}

/**
 * A DNS server on 127.0.0.1 (UDP) that answers each question as `answer` says, after its delay: NXDOMAIN,
 * SERVFAIL or addresses, or never. For tests and the DNS bench: no real name server is ever asked.
 */
export const startFakeDnsServer = (
  answer: (name: string) => DnsAnswer,
  options: { readonly port?: number } = {}
): Effect.Effect<FakeDnsServer, never, Scope.Scope> =>
  Effect.gen(function* () {
    const socket = dgram.createSocket("udp4")
    const queries: Array<{ name: string; type: "A" | "AAAA" | number }> = []
    const inFlight = new Map<string, number>()
    let peak = 0
    socket.on("message", (message, remote) => {
      if (message.length < 12) return
      const { name, end } = readName(message, 12)
      const type = message.readUInt16BE(end)
      queries.push({ name, type: type === A ? "A" : type === AAAA ? "AAAA" : type })
      const decided = answer(name)
      if (decided === "drop") return
      inFlight.set(name, (inFlight.get(name) ?? 0) + 1)
      peak = Math.max(peak, inFlight.size)
      const send = () => {
        const left = inFlight.get(name)! - 1
        if (left === 0) inFlight.delete(name)
        else inFlight.set(name, left)
        try {
          socket.send(reply(message, decided), remote.port, remote.address)
        } catch {
          // Closed meanwhile: the test or bench is over.
        }
      }
      if ((decided.delayMs ?? 0) > 0) setTimeout(send, decided.delayMs)
      else send()
    })
    yield* Effect.acquireRelease(
      Effect.async<void>((resume) => void socket.bind(options.port ?? 0, "127.0.0.1", () => resume(Effect.void))),
      () => Effect.sync(() => socket.close())
    )
    return {
      address: `127.0.0.1:${socket.address().port}`,
      queries: () => queries,
      peakInFlight: () => peak
    }
  })
