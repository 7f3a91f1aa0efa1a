import type { Metadata } from "next";
import { MentiFlow } from "../../components/MentiFlow";

export const metadata: Metadata = { title: "Peer support" };

export default function MentiPage() {
  return <MentiFlow />;
}
