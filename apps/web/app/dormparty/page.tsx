import type { Metadata } from "next";
import { DormpartyFlow } from "../../components/DormpartyFlow";
import { videoPathFact } from "../../lib/page-facts";

export const metadata: Metadata = { title: "Video chat" };

export default async function DormpartyPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const [{ ended }, videoPath] = await Promise.all([searchParams, videoPathFact()]);
  return <DormpartyFlow ended={ended === "1"} videoPath={videoPath} />;
}
