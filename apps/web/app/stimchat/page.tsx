import type { Metadata } from "next";
import { StimchatFlow } from "../../components/StimchatFlow";

export const metadata: Metadata = { title: "Late-night chat" };

export default async function StimchatPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { ended } = await searchParams;
  return <StimchatFlow ended={ended === "1"} />;
}
