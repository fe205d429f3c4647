// /debug/explain and /debug/zone on the ops port of a running server (only with --debug: they
// show object names). Explanations come from the store's validated objects and the problems
// seen lately, answers from the snapshot being served right now.

import type { DebugHandler, HttpReply } from "../observe/http.js";
import type { ObjectSet } from "../source/store.js";
import { localClusterIdOf, type Snapshot } from "../zone/snapshot.js";
import type { ValidationProblem } from "../zone/types.js";
import { toZoneFile } from "../zone/zonefile.js";
import { explain } from "./explain.js";
import { inventoryFromStore } from "./inventory.js";
import { parseTypeName } from "./records.js";
import { renderExplain } from "./render.js";

export interface DebugState {
  zone: string;
  /** From --cluster-id; else the ClusterProperty decides. */
  clusterId: string | undefined;
  preferLocalSrv: boolean;
  objects(): ObjectSet;
  /** Undefined until the sources have synced. */
  snapshot(): Snapshot | undefined;
  problems(): readonly ValidationProblem[];
}

const TEXT = "text/plain; charset=utf-8";
const JSON_TYPE = "application/json";

function text(status: number, body: string): HttpReply {
  return { status, contentType: TEXT, body };
}

const NOT_SYNCED = text(503, "not synced yet: no zone to explain\n");

export function createDebugHandlers(state: DebugState): Map<string, DebugHandler> {
  const explainHandler: DebugHandler = (url) => {
    const name = url.searchParams.get("name");
    if (name === null || name.trim() === "") return Promise.resolve(text(400, "missing ?name=\n"));
    const typeText = url.searchParams.get("type") ?? "A";
    const qtype = parseTypeName(typeText);
    if (qtype === undefined)
      return Promise.resolve(text(400, `unknown type ${JSON.stringify(typeText)}\n`));
    const snapshot = state.snapshot();
    if (snapshot === undefined) return Promise.resolve(NOT_SYNCED);
    const objects = state.objects();
    const report = explain(
      {
        inventory: inventoryFromStore(objects, state.problems()),
        snapshot,
        localClusterId: localClusterIdOf(objects, {
          zone: state.zone,
          ttl: snapshot.ttl,
          nsAddresses: [],
          localClusterId: state.clusterId,
        }),
        preferLocalSrv: state.preferLocalSrv,
      },
      name,
      qtype,
    );
    return Promise.resolve(
      url.searchParams.get("format") === "text"
        ? text(200, renderExplain(report))
        : { status: 200, contentType: JSON_TYPE, body: `${JSON.stringify(report, null, 2)}\n` },
    );
  };
  const zoneHandler: DebugHandler = () => {
    const snapshot = state.snapshot();
    return Promise.resolve(snapshot === undefined ? NOT_SYNCED : text(200, toZoneFile(snapshot)));
  };
  return new Map([
    ["/debug/explain", explainHandler],
    ["/debug/zone", zoneHandler],
  ]);
}
