import { DomHandler } from "domhandler"
import { Parser } from "htmlparser2"

/**
 * htmlparser2's stack of open elements, innermost first as it reads it (`[0]`, `unshift`, `shift`, `indexOf`,
 * `length`), kept outermost first underneath: its own array moves every element on each `unshift`, which made a
 * page of 100,000 nested elements take a minute to parse. `indexOf` of a name not open is answered from a count,
 * so stray closing tags deep in a document cost nothing either. Only `[0]` is indexed: the parser reads other
 * positions only when closing everything at the end, and the tree builder ignores the names it is then given.
 */
class InnermostFirst<A> {
  private readonly items: Array<A> = []
  private readonly open = new Map<A, number>()

  constructor(initial: ReadonlyArray<A>) {
    for (let i = initial.length - 1; i >= 0; i--) this.unshift(initial[i]!)
  }

  get [0](): A | undefined {
    return this.items[this.items.length - 1]
  }

  get length() {
    return this.items.length
  }

  set length(value: number) {
    while (this.items.length > value) this.shift()
  }

  unshift(item: A) {
    this.items.push(item)
    this.open.set(item, (this.open.get(item) ?? 0) + 1)
    return this.items.length
  }

  shift(): A | undefined {
    if (this.items.length === 0) return undefined
    const item = this.items.pop()!
    const count = this.open.get(item)! - 1
    if (count === 0) this.open.delete(item)
    else this.open.set(item, count)
    return item
  }

  indexOf(item: A): number {
    if (!this.open.has(item)) return -1
    for (let i = this.items.length - 1; i >= 0; i--) if (this.items[i] === item) return this.items.length - 1 - i
    return -1
  }
}

/** The document's root node (domhandler's), parsed by htmlparser2 as a browser would read HTML, in linear time. */
export const parseHtml = (html: string) => {
  const handler = new DomHandler()
  const parser = new Parser(handler, { xmlMode: false, decodeEntities: true })
  const internals = parser as unknown as { stack: Array<string>; foreignContext: Array<boolean> }
  internals.stack = new InnermostFirst(internals.stack) as unknown as Array<string>
  internals.foreignContext = new InnermostFirst(internals.foreignContext) as unknown as Array<boolean>
  parser.end(html)
  return handler.root
}
