import Link from "next/link";
import { CHAT_COPY } from "../lib/copy";

/** A space page on a server that does not offer that space. */
export function SpaceNotOpen({ title }: { title: string }) {
  return (
    <div className="page">
      <h1>{title}</h1>
      <p className="lead">{CHAT_COPY.notOpenLead}</p>
      <p>
        <Link href="/" className="button button-secondary">
          {CHAT_COPY.home}
        </Link>
      </p>
    </div>
  );
}

/** MATCHED or ACTIVE seen from a space page: the provider is taking the person to the room. */
export function MatchedInterlude({ lead = CHAT_COPY.matchedLead }: { lead?: string }) {
  return (
    <div className="page page-center">
      <h1>{CHAT_COPY.matchedTitle}</h1>
      <p className="lead">{lead}</p>
    </div>
  );
}
