import { EndedBanner } from "../components/EndedBanner";
import { LandingSpaces } from "../components/LandingSpaces";

export default async function LandingPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { ended } = await searchParams;

  return (
    <div className="page page-landing">
      {ended === "1" ? <EndedBanner /> : null}
      <h1 className="title-hero">Duet</h1>
      <p className="lead">
        Anonymous, one-to-one conversations with a stranger. There are no accounts and no profiles,
        and when a conversation ends, nothing is kept.
      </p>
      <LandingSpaces ended={ended === "1"} />
    </div>
  );
}
