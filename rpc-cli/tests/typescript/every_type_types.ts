// Type checks of the client generated for tests/data/every_type.openrpc.json
// (objects, enums, optionals, arrays, maps, tuples, oneOf), compiled with
// `tsc --strict --noEmit` by tests/codegen_typescript.rs, which also swaps
// the line marked WRONG_PARAM for a correct one and expects tsc to fail.
import { Client, Event, Item, Map_, Shape, ShapesAreaError, Unit } from "./client";

declare const client: Client;

const item: Item = { id: 1, name: "a", tags: ["t"], labels: { k: "v" }, "kebab-case": true, note: null };
const shapes: Shape[] = ["Point", { Circle: { radius: 1 } }, { Rect: [1, 2] }];
const items: Map_ = { a: item };
const units: Unit[] = ["metres", "feet"];

export async function uses(): Promise<number> {
  // @ts-expect-error: "inches" is no Unit
  await client.watch("inches"); // WRONG_PARAM
  const area: number = await client.shapes_area({ shape: { Circle: { radius: 2 } }, unit: "feet" });
  await client.shapes_area({ shape: "Point" });
  const counts: { [key: string]: number } = await client.inventory([item]);
  await client.inventory([item], null);
  const event: Event = await client.pair(["x", true]);
  const id: number = event.kind === "added" ? event.item.id : event.id;
  for await (const pushed of await client.watch("metres")) {
    const kind: "added" | "removed" = pushed.kind;
    if (kind === "added") break;
  }
  await client.log("line");
  const outcome = await client.settle("shapes.area", { shape: "Point" });
  let max = 0;
  if (!outcome.ok && outcome.error.code === 1002) {
    // Narrowed on the code: this error's data is a Limit.
    max = outcome.error.data?.max ?? 0;
  }
  const codes: ShapesAreaError["code"][] = [1001, 1002, -32602];

  // @ts-expect-error: by name only
  await client.call("shapes.area", [{ Circle: { radius: 1 } }]);
  // @ts-expect-error: by position only
  await client.call("inventory", { items: [] });
  // @ts-expect-error: a radius is a number
  const badShape: Shape = { Circle: { radius: "1" } };
  // @ts-expect-error: `name` is required
  const noName: Item = { id: 1, tags: [], labels: {}, "kebab-case": false };
  // @ts-expect-error: a map's values are Items
  const badMap: Map_ = { a: 1 };
  // @ts-expect-error: the tuple is [string, boolean]
  await client.pair([true, "x"]);
  return area + counts.a + id + max + codes.length + shapes.length + Object.keys(items).length + units.length
    + (badShape ? 0 : 1) + noName.id + Object.keys(badMap).length;
}
