"use client";

export default function ErrorPage({ reset }: { error: Error; reset: () => void }) {
  return (
    <div className="page">
      <h1>Something went wrong</h1>
      <p className="lead">This screen could not be shown. You can try again.</p>
      <p>
        <button type="button" className="button button-primary" onClick={() => reset()}>
          Try again
        </button>
      </p>
    </div>
  );
}
