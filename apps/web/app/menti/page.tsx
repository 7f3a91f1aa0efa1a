import type { Metadata } from "next";
import { MentiFlow } from "../../components/MentiFlow";

export const metadata: Metadata = { title: "Peer support" };

export default async function MentiPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { ended } = await searchParams;
  return <MentiFlow ended={ended === "1"} />;
}
