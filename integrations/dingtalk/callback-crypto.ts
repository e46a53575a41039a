/**
 * DingTalk's event-subscription crypto (HTTP push, reference §6.6): SHA-1 signature over the sorted
 * [token, timestamp, nonce, encrypt], AES-256-CBC with a 32-byte PKCS#7 block, plaintext
 * random(16) ‖ length(4, big-endian) ‖ message ‖ ownerKey (the app key for console subscriptions).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export class DingTalkCryptoError extends Error {
  override name = 'DingTalkCryptoError';
}

export class DingTalkCallbackCrypto {
  private readonly key: Buffer;
  private readonly iv: Buffer;

  constructor(
    private readonly token: string,
    aesKey: string,
    /** AppKey for console-configured subscriptions (CorpId for the legacy registration API). */
    private readonly ownerKey: string,
  ) {
    if (aesKey.length !== 43)
      throw new DingTalkCryptoError(
        '不合法的aes key: DINGTALK_EVENT_AES_KEY must be the 43-character aes_key from the console',
      );
    this.key = Buffer.from(`${aesKey}=`, 'base64');
    this.iv = this.key.subarray(0, 16);
  }

  sign(timestamp: string, nonce: string, encrypt: string): string {
    return createHash('sha1').update([this.token, timestamp, nonce, encrypt].sort().join(''), 'utf8').digest('hex');
  }

  verify(signature: string, timestamp: string, nonce: string, encrypt: string): boolean {
    const expected = Buffer.from(this.sign(timestamp, nonce, encrypt));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  decrypt(encrypt: string): string {
    const decipher = createDecipheriv('aes-256-cbc', this.key, this.iv);
    decipher.setAutoPadding(false);
    const padded = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
    const pad = padded[padded.length - 1] ?? 0;
    if (pad < 1 || pad > 32)
      throw new DingTalkCryptoError('bad padding: the message was not encrypted with this aes_key');
    const plain = padded.subarray(0, padded.length - pad);
    const length = plain.readUInt32BE(16);
    const message = plain.subarray(20, 20 + length).toString('utf8');
    const owner = plain.subarray(20 + length).toString('utf8');
    if (owner !== this.ownerKey)
      throw new DingTalkCryptoError(`计算解密文字corpid不匹配: the message is for ${owner}, not ${this.ownerKey}`);
    return message;
  }

  encrypt(message: string, random: Buffer = randomBytes(16)): string {
    const body = Buffer.from(message, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    const plain = Buffer.concat([random, length, body, Buffer.from(this.ownerKey, 'utf8')]);
    const pad = 32 - (plain.length % 32);
    const cipher = createCipheriv('aes-256-cbc', this.key, this.iv);
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString(
      'base64',
    );
  }

  /** The answer DingTalk expects: the encrypted word "success", signed. */
  successResponse(timestamp: string = String(Date.now()), nonce: string = randomBytes(8).toString('hex')) {
    const encrypt = this.encrypt('success');
    return { msg_signature: this.sign(timestamp, nonce, encrypt), timeStamp: timestamp, nonce, encrypt };
  }
}
