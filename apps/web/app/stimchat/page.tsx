import type { Metadata } from "next";
import { StimchatFlow } from "../../components/StimchatFlow";
import { stimchatTopicsFact } from "../../lib/page-facts";

export const metadata: Metadata = { title: "Late-night chat" };

export default async function StimchatPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const [{ ended }, topics] = await Promise.all([searchParams, stimchatTopicsFact()]);
  return <StimchatFlow ended={ended === "1"} topics={topics} />;
}
