import type { Metadata } from "next";
import { AdminApp } from "../../components/admin/AdminApp";
import { adminPageFact } from "../../lib/page-facts";
import "./admin.css";

export const metadata: Metadata = {
  title: "Moderation",
  robots: { index: false, follow: false, nocache: true },
};

/** /admin: the moderators' page. Linked from nowhere; everything behind the admin password. */
export default async function AdminPage() {
  return <AdminApp initial={await adminPageFact()} />;
}
