import net from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { countSocketWrites, socketWrites } from "./socket-writes";

/** A loopback pair: the side a server accepted, and the side that connected. */
async function pair(): Promise<{ accepted: net.Socket; opened: net.Socket; close: () => void }> {
  const server = net.createServer();
  const acceptedP = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const opened = net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve) => opened.once("connect", () => resolve()));
  const accepted = await acceptedP;
  return {
    accepted,
    opened,
    close: () => {
      accepted.destroy();
      opened.destroy();
      server.close();
    },
  };
}

const written = (s: net.Socket, data: string | Buffer) =>
  new Promise<void>((resolve, reject) => s.write(data, (err) => (err ? reject(err) : resolve())));

describe("socket writes (bench figures), against the installed Node", () => {
  const cleanups: (() => void)[] = [];
  afterAll(() => {
    for (const c of cleanups) c();
  });

  it("counts each hand-over to the kernel: one per write, one per corked batch, by side", async () => {
    expect(countSocketWrites()).toBe(true);
    expect(countSocketWrites()).toBe(true); // once per process: not wrapped twice
    const { accepted, opened, close } = await pair();
    cleanups.push(close);
    const before = socketWrites();
    if (!before) throw new Error("not counting");
    // Three writes one after the other: three.
    await written(accepted, "a");
    await written(accepted, Buffer.from("b"));
    await written(accepted, "c");
    // Three frames corked together (as write-batching.ts and ws do): one writev.
    accepted.cork();
    accepted.write("d");
    accepted.write("e");
    const last = written(accepted, "f");
    accepted.uncork();
    await last;
    // The side this process opened (as a Redis connection is): a service write.
    await written(opened, "g");
    const after = socketWrites();
    expect(after).toEqual({ clients: before.clients + 4, services: before.services + 1 });
  });
});
