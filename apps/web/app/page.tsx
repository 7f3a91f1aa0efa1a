import { LandingSpaces } from "../components/LandingSpaces";

export default async function LandingPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { ended } = await searchParams;

  return (
    <div className="page page-landing">
      {ended === "1" ? (
        <div role="status" className="banner">
          <p className="banner-title">This conversation has ended</p>
          <p>It can't be reopened. Whenever you feel ready, you can start a new one.</p>
        </div>
      ) : null}
      <h1 className="title-hero">Duet</h1>
      <p className="lead">
        Anonymous, one-to-one conversations with a stranger. There are no accounts and no profiles,
        and when a conversation ends, nothing is kept.
      </p>
      <LandingSpaces />
    </div>
  );
}
