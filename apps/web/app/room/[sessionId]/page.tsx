import type { Metadata } from "next";
import { Room } from "../../../components/Room";

export const metadata: Metadata = { title: "Conversation" };

export default async function RoomPage({ params }: { params: Promise<{ sessionId: string }> }) {
  const { sessionId } = await params;
  return <Room key={sessionId} sessionId={sessionId} />;
}
