import type { Metadata } from "next";
import { DormpartyFlow } from "../../components/DormpartyFlow";

export const metadata: Metadata = { title: "Video chat" };

export default async function DormpartyPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { ended } = await searchParams;
  return <DormpartyFlow ended={ended === "1"} />;
}
