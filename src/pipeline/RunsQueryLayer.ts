import { Layer } from "effect"
import { DatabaseLive } from "../db/Database.js"
import { RunStore } from "./RunStore.js"

/** What `runs` and `status` need: the database only. */
export const RunsQueryLayer = RunStore.Default.pipe(Layer.provideMerge(DatabaseLive))
