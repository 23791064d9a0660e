import type { TokenSigner } from '../core/jwt';

export interface RefreshTokenRecord {
	appId: string;
	userId: string;
	audience: string;
	issuedAt: number; // emulator ms
	expiresAt: number; // inactivity limit: issuedAt + refresh-token lifetime
	sessionStart: number; // when the user signed in; absolute age limit counts from here
}

export interface AuthorizationCodeRecord {
	appId: string;
	userId: string;
	redirectUri: string;
	scope: string;
	codeChallenge?: string;
	codeChallengeMethod?: string;
	nonce?: string;
	expiresAt: number;
	redeemed: boolean;
}

export interface DeviceCodeRecord {
	deviceCode: string;
	userCode: string;
	appId: string;
	scope: string;
	permissions: string[]; // parsed from scope when the sign-in started
	expiresAt: number;
	status: 'pending' | 'approved' | 'denied' | 'redeemed';
	userId?: string;
}

export interface TokenOutage {
	status: number;
	remaining: number; // Infinity = until cleared
	retryAfter?: number;
}

/** The identity platform's own memory (sessions, codes, consents); the directory itself is in EmulatorState. */
export interface IdentityState {
	signer: TokenSigner;
	identityHeader: string;
	/** The HTTPS base URL (Graph's base URL, an accepted audience); known once the server listens. */
	graphBaseUrl: () => string;
	interactive: { userId?: string; deny: boolean };
	refreshTokens: Map<string, RefreshTokenRecord>;
	authorizationCodes: Map<string, AuthorizationCodeRecord>;
	deviceCodes: Map<string, DeviceCodeRecord>;
	/** User consents: `${appId}|${userId}` -> permission names. */
	userConsents: Map<string, Set<string>>;
	/** Revoke-MgUserSignInSession: refresh tokens issued before this (emulator ms) are revoked. */
	tokensValidFrom: Map<string, number>;
	outage?: TokenOutage;
}
