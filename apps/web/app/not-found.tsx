import Link from "next/link";

export default function NotFound() {
  return (
    <div className="page">
      <h1>This page doesn't exist</h1>
      <p className="lead">The address may be mistyped, or the page may have moved.</p>
      <p>
        <Link href="/" className="button button-secondary">
          Home
        </Link>
      </p>
    </div>
  );
}
