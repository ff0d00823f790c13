"""Where registry data comes from: one fetcher per source kind (git, file, api), one protocol."""
